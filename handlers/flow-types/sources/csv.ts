/**
 * RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and line breaks; lines end in LF or
 * CRLF. The SFTP source's files are small exports, read whole, so this parses a string.
 */

/** Parses CSV text into rows of fields; a quote left open names the line it opened on. */
export function parseCsv(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let fieldText = '';
  let quoted = false;
  let line = 1;
  let openedOn = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        fieldText += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        fieldText += char;
      }
    } else if (char === '"' && fieldText === '') {
      quoted = true;
      openedOn = line;
    } else if (char === ',') {
      row.push(fieldText);
      fieldText = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(fieldText);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      fieldText = '';
      line++;
    } else {
      fieldText += char;
    }
  }
  if (quoted) throw new SyntaxError(`${file}: line ${openedOn}: a quoted field is never closed`);
  row.push(fieldText);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  return rows;
}

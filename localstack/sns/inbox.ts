/**
 * Where the local SNS delivers `email` and `email-json` subscriptions, since a laptop has no mail server:
 * an inbox that tests read in-process, that `GET /_local/sns/messages` serves as JSON, and that a stack
 * with a data directory also appends to `DIR/sns/inbox.jsonl` (one notification a line, readable with
 * `tail -f`), so a notification a workflow sends when deployed is visible locally too.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One notification as an email subscriber would have received it. */
export interface EmailNotification {
  readonly messageId: string;
  /** ISO time of the publish. */
  readonly at: string;
  /** The subscription's endpoint: the address. */
  readonly to: string;
  readonly protocol: 'email' | 'email-json';
  readonly topicArn: string;
  readonly subscriptionArn: string;
  /** The mail's subject: the publish's Subject, or SNS's default. */
  readonly subject: string;
  /** `email`: the message text; `email-json`: the JSON notification envelope. */
  readonly body: string;
}

/** Notifications kept in memory (the oldest go first beyond this). */
const KEPT = 1000;

/** The inbox; `file` is the JSON-lines file it appends to, when the stack keeps data. */
export class EmailInbox {
  private notifications: EmailNotification[] = [];
  private appending: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | undefined,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Reads back what an earlier stack on the same directory received. */
  async load(): Promise<void> {
    if (this.file === undefined) return;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
      throw error;
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    const loaded: EmailNotification[] = [];
    for (const [index, line] of lines.entries()) {
      try {
        loaded.push(JSON.parse(line) as EmailNotification);
      } catch {
        this.onError(new Error(`${this.file}:${index + 1}: not a JSON notification; skipped`));
      }
    }
    this.notifications = [...loaded.slice(-KEPT), ...this.notifications];
  }

  add(notification: EmailNotification): void {
    this.notifications.push(notification);
    if (this.notifications.length > KEPT) this.notifications.splice(0, this.notifications.length - KEPT);
    const file = this.file;
    if (file === undefined) return;
    this.appending = this.appending
      .then(async () => {
        await mkdir(dirname(file), { recursive: true });
        await appendFile(file, `${JSON.stringify(notification)}\n`);
      })
      .catch(this.onError);
  }

  /** The notifications, oldest first, optionally only those to one address or from one topic. */
  list(filter: { readonly to?: string; readonly topicArn?: string } = {}): EmailNotification[] {
    return this.notifications.filter(
      (notification) =>
        (filter.to === undefined || notification.to === filter.to) &&
        (filter.topicArn === undefined || notification.topicArn === filter.topicArn),
    );
  }

  /** Empties the inbox in memory (the file keeps its history). */
  clear(): void {
    this.notifications = [];
  }

  /** Resolves once every notification is in the file. */
  flush(): Promise<void> {
    return this.appending;
  }
}

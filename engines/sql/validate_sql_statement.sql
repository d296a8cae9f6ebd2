-- Validation of the sales data pipeline (seed 003): two queries, run as a batch of two statements (the
-- graph splits this file at each semicolon, so semicolons appear only between the queries). The graph
-- reads both results and fails the run, naming the check, when either is wrong.

-- 1. Every staged sales row was loaded: a row whose item, customer, sale date or address version is
--    unknown (or that is dated after the refresh date) is left out by the fact load.
SELECT (SELECT count(*) FROM stg_sales) AS staged_sales_rows,
       count(*) AS loaded_sales_rows
FROM store_sales
WHERE ss_ticket_number IN (SELECT ticket_number FROM stg_sales);

-- 2. Every customer has exactly one current address version.
SELECT count(*) AS customers_without_one_current_address
FROM (SELECT c.c_customer_id
      FROM customer AS c
      LEFT JOIN customer_address AS ca ON ca.ca_address_id = c.c_address_id AND ca.ca_is_current
      GROUP BY c.c_customer_id
      HAVING count(ca.ca_address_sk) <> 1) AS problems

-- Validation of the sales data pipeline (seed 003): two queries, run as a batch of two statements
-- (the graph splits this file at each semicolon, so semicolons appear only between the queries).

-- 1. Sales rows loaded in total, one row per ticket line.
SELECT count(*) AS store_sales_rows, coalesce(sum(ss_quantity), 0) AS units
FROM store_sales;

-- 2. Every customer has exactly one current address.
SELECT count(*) AS customers_without_one_current_address
FROM customer AS c
WHERE (SELECT count(*) FROM customer_address AS ca
       WHERE ca.ca_address_id = c.c_customer_id AND ca.ca_is_current) <> 1
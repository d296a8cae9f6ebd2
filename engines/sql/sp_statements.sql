-- Stored procedures of the sales data pipeline (seed 003), written for Amazon Redshift: MERGE for the
-- SCD1 dimensions, UPDATE ... FROM plus INSERT for the SCD2 one, no ON CONFLICT, no generate_series, no
-- IS DISTINCT FROM, surrogate keys computed (max + row_number) rather than IDENTITY, so the same text runs
-- on the local Redshift Data emulation (Postgres on PGlite) and keys are the same on both. The script is
-- run as one batch entry; every procedure is CREATE OR REPLACE and idempotent, so a failed run is simply
-- run again.
--
-- Dimension versions (customer_address) are valid on [ca_effective_from, ca_effective_to): the current
-- version has ca_effective_to = 9999-12-31, and a fact row points at the version valid on its sale date.

-- Creates the tables if needed, fills the calendar, and recreates the empty staging tables that the
-- graph then fills with COPY from the refresh date's files in S3.
CREATE OR REPLACE PROCEDURE sp_setup_sales_data_pipeline()
AS $$
BEGIN
  CREATE TABLE IF NOT EXISTS customer (
    c_customer_sk integer NOT NULL PRIMARY KEY,
    c_customer_id varchar(16) NOT NULL,
    c_first_name varchar(20),
    c_last_name varchar(30),
    c_address_id varchar(16) NOT NULL
  );
  CREATE TABLE IF NOT EXISTS customer_address (
    ca_address_sk integer NOT NULL PRIMARY KEY,
    ca_address_id varchar(16) NOT NULL,
    ca_city varchar(60),
    ca_state char(2),
    ca_zip varchar(10),
    ca_effective_from date NOT NULL,
    ca_effective_to date NOT NULL,
    ca_is_current boolean NOT NULL
  );
  CREATE TABLE IF NOT EXISTS item (
    i_item_sk integer NOT NULL PRIMARY KEY,
    i_item_id varchar(16) NOT NULL,
    i_product_name varchar(50),
    i_category varchar(50),
    i_current_price numeric(7, 2)
  );
  CREATE TABLE IF NOT EXISTS date_dim (
    d_date_sk integer NOT NULL PRIMARY KEY,
    d_date date NOT NULL,
    d_year integer,
    d_moy integer,
    d_dom integer
  );
  CREATE TABLE IF NOT EXISTS store_sales (
    ss_sold_date_sk integer NOT NULL,
    ss_item_sk integer NOT NULL,
    ss_customer_sk integer NOT NULL,
    ss_addr_sk integer NOT NULL,
    ss_ticket_number integer NOT NULL,
    ss_quantity integer,
    ss_sales_price numeric(7, 2),
    PRIMARY KEY (ss_ticket_number, ss_item_sk)
  );

  -- Calendar from 2020 on, keyed yyyymmdd: ten thousand days from a cross join of digits.
  INSERT INTO date_dim (d_date_sk, d_date, d_year, d_moy, d_dom)
  SELECT to_char(cal_day, 'YYYYMMDD')::integer, cal_day, extract(year FROM cal_day)::integer,
         extract(month FROM cal_day)::integer, extract(day FROM cal_day)::integer
  FROM (SELECT date '2020-01-01' + (a.n + 10 * b.n + 100 * c.n + 1000 * d.n) AS cal_day
        FROM (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS a,
             (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS b,
             (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS c,
             (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) AS d
       ) AS days
  WHERE NOT EXISTS (SELECT 1 FROM date_dim WHERE date_dim.d_date = days.cal_day);

  -- Staging tables: what the source systems delivered for this refresh date, as the files' columns.
  DROP TABLE IF EXISTS stg_customer;
  CREATE TABLE stg_customer (customer_id varchar(16), first_name varchar(20), last_name varchar(30),
                             address_id varchar(16));
  DROP TABLE IF EXISTS stg_customer_address;
  CREATE TABLE stg_customer_address (address_id varchar(16), city varchar(60), state char(2),
                                     zip varchar(10));
  DROP TABLE IF EXISTS stg_item;
  CREATE TABLE stg_item (item_id varchar(16), product_name varchar(50), category varchar(50),
                         current_price numeric(7, 2));
  DROP TABLE IF EXISTS stg_sales;
  CREATE TABLE stg_sales (sold_date date, item_id varchar(16), customer_id varchar(16), ticket_number integer,
                          quantity integer, sales_price numeric(7, 2));
END;
$$ LANGUAGE plpgsql;

-- Item dimension, SCD type 1: a new item gets the next surrogate key, a changed one is overwritten in
-- place (its key, and so every fact row pointing at it, stays).
CREATE OR REPLACE PROCEDURE sp_load_dim_item()
AS $$
BEGIN
  DROP TABLE IF EXISTS item_source;
  CREATE TEMP TABLE item_source AS
  SELECT s.item_id, s.product_name, s.category, s.current_price,
         coalesce(i.i_item_sk,
                  (SELECT coalesce(max(i_item_sk), 0) FROM item)
                  + sum(CASE WHEN i.i_item_sk IS NULL THEN 1 ELSE 0 END)
                      OVER (ORDER BY s.item_id ROWS UNBOUNDED PRECEDING)) AS item_sk
  FROM stg_item AS s
  LEFT JOIN item AS i ON i.i_item_id = s.item_id;

  MERGE INTO item USING item_source AS s ON item.i_item_id = s.item_id
  WHEN MATCHED THEN UPDATE SET
    i_product_name = s.product_name,
    i_category = s.category,
    i_current_price = s.current_price
  WHEN NOT MATCHED THEN INSERT (i_item_sk, i_item_id, i_product_name, i_category, i_current_price)
    VALUES (s.item_sk, s.item_id, s.product_name, s.category, s.current_price);
END;
$$ LANGUAGE plpgsql;

-- Customer (SCD type 1, merged like item) and customer_address (SCD type 2) as of the refresh date:
--   an address seen for the first time     -> version 1, valid from the refresh date;
--   changed, current since an earlier date -> the current version closes at the refresh date and a new
--                                              version (a new surrogate key) opens there;
--   changed, current since this date       -> corrected in place (a same-day change is no new version);
--   unchanged                              -> nothing.
-- A refresh date before the newest version's start would rewrite history: refused, naming both dates.
CREATE OR REPLACE PROCEDURE sp_load_dim_customer_address(p_refresh_date date)
AS $$
DECLARE
  newest date;
BEGIN
  DROP TABLE IF EXISTS customer_source;
  CREATE TEMP TABLE customer_source AS
  SELECT s.customer_id, s.first_name, s.last_name, s.address_id,
         coalesce(c.c_customer_sk,
                  (SELECT coalesce(max(c_customer_sk), 0) FROM customer)
                  + sum(CASE WHEN c.c_customer_sk IS NULL THEN 1 ELSE 0 END)
                      OVER (ORDER BY s.customer_id ROWS UNBOUNDED PRECEDING)) AS customer_sk
  FROM stg_customer AS s
  LEFT JOIN customer AS c ON c.c_customer_id = s.customer_id;

  MERGE INTO customer USING customer_source AS s ON customer.c_customer_id = s.customer_id
  WHEN MATCHED THEN UPDATE SET
    c_first_name = s.first_name,
    c_last_name = s.last_name,
    c_address_id = s.address_id
  WHEN NOT MATCHED THEN INSERT (c_customer_sk, c_customer_id, c_first_name, c_last_name, c_address_id)
    VALUES (s.customer_sk, s.customer_id, s.first_name, s.last_name, s.address_id);

  SELECT max(ca_effective_from) INTO newest FROM customer_address;
  IF newest > p_refresh_date THEN
    RAISE EXCEPTION 'customer_address has versions from % on; a load for % would rewrite its history',
      newest, p_refresh_date;
  END IF;

  DROP TABLE IF EXISTS address_changes;
  CREATE TEMP TABLE address_changes AS
  SELECT s.address_id, s.city, s.state, s.zip, ca.ca_address_sk AS current_sk,
         ca.ca_effective_from AS current_from
  FROM stg_customer_address AS s
  LEFT JOIN customer_address AS ca ON ca.ca_address_id = s.address_id AND ca.ca_is_current
  WHERE ca.ca_address_sk IS NULL
     OR md5(coalesce(ca.ca_city, '') || '|' || coalesce(ca.ca_state, '') || '|' || coalesce(ca.ca_zip, ''))
        <> md5(coalesce(s.city, '') || '|' || coalesce(s.state, '') || '|' || coalesce(s.zip, ''));

  UPDATE customer_address
  SET ca_city = c.city, ca_state = c.state, ca_zip = c.zip
  FROM address_changes AS c
  WHERE customer_address.ca_address_sk = c.current_sk AND c.current_from = p_refresh_date;

  UPDATE customer_address
  SET ca_effective_to = p_refresh_date, ca_is_current = false
  FROM address_changes AS c
  WHERE customer_address.ca_address_sk = c.current_sk AND c.current_from < p_refresh_date;

  INSERT INTO customer_address (ca_address_sk, ca_address_id, ca_city, ca_state, ca_zip,
                                ca_effective_from, ca_effective_to, ca_is_current)
  SELECT (SELECT coalesce(max(ca_address_sk), 0) FROM customer_address)
           + row_number() OVER (ORDER BY c.address_id),
         c.address_id, c.city, c.state, c.zip, p_refresh_date, date '9999-12-31', true
  FROM address_changes AS c
  WHERE c.current_sk IS NULL OR c.current_from < p_refresh_date;
END;
$$ LANGUAGE plpgsql;

-- Fact table: the staged sales up to the refresh date (late sales of earlier days included). The staged
-- tickets are deleted, then inserted again, so re-running a load gives the same rows. Each row points at
-- the customer's address version valid on the sale date, not the current one. A staged row whose item,
-- customer, date or address version is unknown is not loaded: validation compares the counts.
CREATE OR REPLACE PROCEDURE sp_load_fact_store_sales(p_refresh_date date)
AS $$
BEGIN
  DELETE FROM store_sales WHERE ss_ticket_number IN (SELECT ticket_number FROM stg_sales);

  INSERT INTO store_sales (ss_sold_date_sk, ss_item_sk, ss_customer_sk, ss_addr_sk, ss_ticket_number,
                           ss_quantity, ss_sales_price)
  SELECT d.d_date_sk, i.i_item_sk, c.c_customer_sk, ca.ca_address_sk, s.ticket_number, s.quantity,
         s.sales_price
  FROM stg_sales AS s
  JOIN date_dim AS d ON d.d_date = s.sold_date
  JOIN item AS i ON i.i_item_id = s.item_id
  JOIN customer AS c ON c.c_customer_id = s.customer_id
  JOIN customer_address AS ca
    ON ca.ca_address_id = c.c_address_id
   AND s.sold_date >= ca.ca_effective_from
   AND s.sold_date < ca.ca_effective_to
  WHERE s.sold_date <= p_refresh_date;
END;
$$ LANGUAGE plpgsql;

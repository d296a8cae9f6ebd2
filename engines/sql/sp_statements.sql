-- Stored procedures of the sales data pipeline (seed 003), written for Postgres (the local Redshift Data
-- emulator runs on PGlite) in the same roles as the seed's Redshift procedures. The script is run as one
-- batch entry; every procedure is CREATE OR REPLACE and idempotent, so a failed run is simply run again.

-- Creates the five tables if needed, refills the landing tables with a small sample, and fills the
-- calendar and customer dimensions (inserts skip rows that exist).
CREATE OR REPLACE PROCEDURE sp_setup_sales_data_pipeline()
LANGUAGE plpgsql
AS $$
BEGIN
  CREATE TABLE IF NOT EXISTS customer (
    c_customer_sk integer PRIMARY KEY,
    c_customer_id varchar(16) NOT NULL UNIQUE,
    c_first_name varchar(20),
    c_last_name varchar(30)
  );
  CREATE TABLE IF NOT EXISTS customer_address (
    ca_address_sk integer NOT NULL,
    ca_address_id varchar(16) NOT NULL,
    ca_city varchar(60),
    ca_state char(2),
    ca_zip varchar(10),
    ca_effective_from date NOT NULL,
    ca_effective_to date,
    ca_is_current boolean NOT NULL
  );
  CREATE TABLE IF NOT EXISTS item (
    i_item_sk integer PRIMARY KEY,
    i_item_id varchar(16) NOT NULL UNIQUE,
    i_product_name varchar(50),
    i_category varchar(50),
    i_current_price numeric(7, 2)
  );
  CREATE TABLE IF NOT EXISTS date_dim (
    d_date_sk integer PRIMARY KEY,
    d_date date NOT NULL UNIQUE,
    d_year integer,
    d_moy integer,
    d_dom integer
  );
  CREATE TABLE IF NOT EXISTS store_sales (
    ss_sold_date_sk integer NOT NULL,
    ss_item_sk integer NOT NULL,
    ss_customer_sk integer NOT NULL,
    ss_ticket_number integer NOT NULL,
    ss_quantity integer,
    ss_sales_price numeric(7, 2),
    PRIMARY KEY (ss_ticket_number, ss_item_sk)
  );

  -- Calendar for 2026, keyed yyyymmdd.
  INSERT INTO date_dim (d_date_sk, d_date, d_year, d_moy, d_dom)
  SELECT to_char(d, 'YYYYMMDD')::integer, d::date, extract(year FROM d)::integer,
         extract(month FROM d)::integer, extract(day FROM d)::integer
  FROM generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') AS d
  ON CONFLICT (d_date_sk) DO NOTHING;

  INSERT INTO customer (c_customer_sk, c_customer_id, c_first_name, c_last_name) VALUES
    (1, 'C001', 'Ada', 'Lovelace'),
    (2, 'C002', 'Alan', 'Turing'),
    (3, 'C003', 'Grace', 'Hopper')
  ON CONFLICT (c_customer_sk) DO NOTHING;

  -- Landing tables: what the source systems delivered for this run.
  DROP TABLE IF EXISTS stg_item;
  CREATE TABLE stg_item (i_item_sk integer, i_item_id varchar(16), i_product_name varchar(50),
                         i_category varchar(50), i_current_price numeric(7, 2));
  INSERT INTO stg_item VALUES
    (1, 'I001', 'Espresso beans 1kg', 'Coffee', 18.50),
    (2, 'I002', 'Green tea 100g', 'Tea', 6.25),
    (3, 'I003', 'Oat milk 1l', 'Dairy alternatives', 2.10);

  DROP TABLE IF EXISTS stg_customer_address;
  CREATE TABLE stg_customer_address (ca_address_sk integer, ca_address_id varchar(16), ca_city varchar(60),
                                     ca_state char(2), ca_zip varchar(10));
  INSERT INTO stg_customer_address VALUES
    (1, 'C001', 'Seattle', 'WA', '98101'),
    (2, 'C002', 'Portland', 'OR', '97201'),
    (3, 'C003', 'Arlington', 'VA', '22201');

  DROP TABLE IF EXISTS stg_sales;
  CREATE TABLE stg_sales (sold_date date, item_id varchar(16), customer_id varchar(16), ticket_number integer,
                          quantity integer, sales_price numeric(7, 2));
  INSERT INTO stg_sales VALUES
    (date '2026-01-15', 'I001', 'C001', 1001, 2, 37.00),
    (date '2026-01-15', 'I002', 'C002', 1002, 1, 6.25),
    (date '2026-01-15', 'I003', 'C003', 1003, 6, 12.60),
    (date '2026-01-16', 'I001', 'C002', 1004, 1, 18.50),
    (date '2026-01-16', 'I003', 'C001', 1005, 3, 6.30);
END;
$$;

-- Item dimension, SCD type 1: new items are added, changed attributes overwrite the old ones.
CREATE OR REPLACE PROCEDURE sp_load_dim_item()
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO item (i_item_sk, i_item_id, i_product_name, i_category, i_current_price)
  SELECT i_item_sk, i_item_id, i_product_name, i_category, i_current_price FROM stg_item
  ON CONFLICT (i_item_sk) DO UPDATE SET
    i_item_id = excluded.i_item_id,
    i_product_name = excluded.i_product_name,
    i_category = excluded.i_category,
    i_current_price = excluded.i_current_price;
END;
$$;

-- Customer address dimension, SCD type 2: a changed address closes the current row (effective_to,
-- is_current false) and opens a new current one; an unchanged address is left alone.
CREATE OR REPLACE PROCEDURE sp_load_dim_customer_address()
LANGUAGE plpgsql
AS $$
BEGIN
  UPDATE customer_address AS ca
  SET ca_effective_to = current_date, ca_is_current = false
  FROM stg_customer_address AS s
  WHERE ca.ca_address_id = s.ca_address_id
    AND ca.ca_is_current
    AND (ca.ca_city, ca.ca_state, ca.ca_zip) IS DISTINCT FROM (s.ca_city, s.ca_state, s.ca_zip);

  INSERT INTO customer_address (ca_address_sk, ca_address_id, ca_city, ca_state, ca_zip,
                                ca_effective_from, ca_effective_to, ca_is_current)
  SELECT s.ca_address_sk, s.ca_address_id, s.ca_city, s.ca_state, s.ca_zip, current_date, NULL, true
  FROM stg_customer_address AS s
  WHERE NOT EXISTS (
    SELECT 1 FROM customer_address AS ca WHERE ca.ca_address_id = s.ca_address_id AND ca.ca_is_current
  );
END;
$$;

-- Fact table for one refresh date: the staging table is recreated each time, then the date's rows are
-- deleted from store_sales and inserted again, so re-running a date gives the same rows.
CREATE OR REPLACE PROCEDURE sp_load_fact_store_sales(p_refresh_date date)
LANGUAGE plpgsql
AS $$
BEGIN
  DROP TABLE IF EXISTS stg_store_sales;
  CREATE TABLE stg_store_sales AS
  SELECT d.d_date_sk AS ss_sold_date_sk, i.i_item_sk AS ss_item_sk, c.c_customer_sk AS ss_customer_sk,
         s.ticket_number AS ss_ticket_number, s.quantity AS ss_quantity, s.sales_price AS ss_sales_price
  FROM stg_sales AS s
  JOIN date_dim AS d ON d.d_date = s.sold_date
  JOIN item AS i ON i.i_item_id = s.item_id
  JOIN customer AS c ON c.c_customer_id = s.customer_id
  WHERE s.sold_date = p_refresh_date;

  DELETE FROM store_sales
  WHERE ss_sold_date_sk IN (SELECT d_date_sk FROM date_dim WHERE d_date = p_refresh_date);

  INSERT INTO store_sales (ss_sold_date_sk, ss_item_sk, ss_customer_sk, ss_ticket_number, ss_quantity,
                           ss_sales_price)
  SELECT ss_sold_date_sk, ss_item_sk, ss_customer_sk, ss_ticket_number, ss_quantity, ss_sales_price
  FROM stg_store_sales;
END;
$$;

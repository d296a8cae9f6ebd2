/**
 * The Redshift system tables that administrative queries of seed 003's kind read (node details, slices,
 * disks, WLM queues), as views in their own schema on the search path, so such a query runs on the local
 * emulation unchanged. They describe a fixed two-node dc2.large cluster with two slices per node; storage
 * `used` follows the size of the local database, so it moves as data is loaded. Only the columns listed
 * here exist; a query naming another fails with Postgres' "column ... does not exist".
 */
export const SYSTEM_TABLES_SQL = `
CREATE SCHEMA IF NOT EXISTS redshift_system;

CREATE OR REPLACE VIEW redshift_system.stv_slices AS
SELECT node, slice, localslice, 'D'::char(1) AS type
FROM (VALUES (0, 0, 0), (0, 1, 1), (1, 2, 0), (1, 3, 1)) AS s (node, slice, localslice);

CREATE OR REPLACE VIEW redshift_system.stv_node_storage_capacity AS
SELECT node,
       greatest(1, pg_database_size(current_database()) / 1048576 / 2)::integer AS used,
       190633 AS capacity
FROM (VALUES (0), (1)) AS n (node);

CREATE OR REPLACE VIEW redshift_system.stv_partitions AS
SELECT node AS owner, node AS host, 0 AS diskno, 0 AS part_begin, 190633 AS part_end,
       greatest(1, pg_database_size(current_database()) / 1048576 / 2)::integer AS used, 0 AS tossed,
       190633 AS capacity, 0::bigint AS reads, 0::bigint AS writes, 0 AS is_san, 0 AS failed,
       ('/dev/nvme0n1p' || (node + 1))::varchar(256) AS mount
FROM (VALUES (0), (1)) AS n (node);

CREATE OR REPLACE VIEW redshift_system.stv_wlm_service_class_config AS
SELECT service_class, num_query_tasks, query_working_mem, max_execution_time,
       name::char(64) AS name, 'off'::char(20) AS concurrency_scaling, 'normal'::char(20) AS query_priority
FROM (VALUES (5, 1, 0, 0, 'Default queue'),
             (6, 5, 0, 0, 'Superuser queue'),
             (14, 1, 0, 0, 'Short query queue')) AS q (service_class, num_query_tasks, query_working_mem,
                                                       max_execution_time, name);

SET search_path TO "$user", public, redshift_system;
`;

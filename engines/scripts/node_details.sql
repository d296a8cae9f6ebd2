-- Node details: node type, slices and storage use per compute node, from the system tables.
WITH node_slice AS
(
  SELECT node, COUNT(1) AS slice_count
  FROM stv_slices
  GROUP BY node
),
node_storage_utilization AS
(
  SELECT node::text AS node,
         (1.0 * used / capacity)::NUMERIC(8,4) * 100 AS storage_utilization_pct,
         1.0 * capacity/1000 AS storage_capacity_gb,
         1.0 * used/1000 AS storage_used_gb
  FROM stv_node_storage_capacity
),
node_disks AS
(
  SELECT owner AS node, capacity, MAX(CASE WHEN mount LIKE '/dev/nvme%' THEN 1 ELSE 0 END) = 1 AS is_nvme
  FROM stv_partitions
  GROUP BY owner, capacity
)
SELECT CASE
         WHEN capacity = 190633 AND NOT is_nvme THEN 'dc1.large'
         WHEN capacity = 380319 THEN 'dc1.8xlarge'
         WHEN capacity = 190633 AND is_nvme THEN 'dc2.large'
         WHEN capacity = 760956 THEN 'dc2.8xlarge'
         WHEN capacity = 726296 THEN 'dc2.8xlarge'
         WHEN capacity = 952455 THEN 'ds2.xlarge'
         WHEN capacity = 945026 THEN 'ds2.8xlarge'
         WHEN capacity = 954367 AND slice_count = 4 THEN 'ra3.xlplus'
         WHEN capacity = 3339176 THEN 'ra3.4xlarge'
         ELSE 'unknown'
       END AS node_type,
       s.node,
       s.slice_count,
       u.storage_utilization_pct,
       u.storage_capacity_gb,
       u.storage_used_gb
FROM node_slice AS s
JOIN node_disks AS d ON d.node = s.node
JOIN node_storage_utilization AS u ON u.node = s.node::text
ORDER BY s.node

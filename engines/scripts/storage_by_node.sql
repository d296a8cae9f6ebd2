-- Storage used per node in MB. Fails on purpose until it is fixed: stv_node_storage_capacity has no
-- column used_mb (the column is `used`, in MB). The demo and the tests fix it by uploading this script
-- with `used AS used_mb`, to show a query that fails one round and succeeds on the retry.
SELECT node, used_mb, capacity AS capacity_mb
FROM stv_node_storage_capacity
ORDER BY node

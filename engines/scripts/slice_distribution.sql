-- Slices per node and per slice type: an uneven count points at a resize that did not rebalance.
SELECT node, type AS slice_type, COUNT(*) AS slices, MIN(slice) AS first_slice, MAX(slice) AS last_slice
FROM stv_slices
GROUP BY node, type
ORDER BY node, type

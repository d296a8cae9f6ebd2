-- Workload management queues: concurrency and limits of the user-visible service classes (5 and up).
SELECT service_class,
       TRIM(name) AS queue_name,
       num_query_tasks AS slots,
       query_working_mem AS working_mem_mb,
       max_execution_time AS max_execution_ms,
       TRIM(concurrency_scaling) AS concurrency_scaling,
       TRIM(query_priority) AS query_priority
FROM stv_wlm_service_class_config
WHERE service_class >= 5
ORDER BY service_class

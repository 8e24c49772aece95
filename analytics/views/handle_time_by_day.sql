SELECT
  dt,
  CAST(COUNT(*) AS BIGINT) AS handled_contacts,
  CAST(SUM(duration_seconds) AS BIGINT) AS total_handle_seconds,
  CAST(ROUND(AVG(duration_seconds), 1) AS DOUBLE) AS avg_handle_seconds
FROM calls
WHERE agent_connected = true AND duration_seconds IS NOT NULL
GROUP BY dt

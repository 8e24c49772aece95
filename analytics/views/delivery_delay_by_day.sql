SELECT
  dt,
  CAST(COUNT(*) AS BIGINT) AS documents,
  CAST(SUM(date_diff('second', from_iso8601_timestamp(ended_at), from_iso8601_timestamp(recorded_at))) AS BIGINT)
    AS total_delay_seconds,
  CAST(MAX(date_diff('second', from_iso8601_timestamp(ended_at), from_iso8601_timestamp(recorded_at))) AS BIGINT)
    AS max_delay_seconds
FROM calls
WHERE ended_at IS NOT NULL AND recorded_at IS NOT NULL
GROUP BY dt

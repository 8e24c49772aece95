SELECT
  dt,
  COALESCE(queue_id, '(no queue)') AS queue_id,
  sentiment.sentiment AS customer_sentiment,
  CAST(COUNT(*) AS BIGINT) AS calls
FROM calls
WHERE sentiment.sentiment IS NOT NULL
GROUP BY dt, COALESCE(queue_id, '(no queue)'), sentiment.sentiment

SELECT
  dt,
  sentiment.sentiment AS customer_sentiment,
  COUNT(*) AS calls,
  ROUND(AVG(sentiment.sentimentscore.negative), 4) AS avg_negative_score,
  ROUND(AVG(sentiment.sentimentscore.positive), 4) AS avg_positive_score
FROM calls
WHERE sentiment.sentiment IS NOT NULL
GROUP BY dt, sentiment.sentiment
ORDER BY dt, customer_sentiment

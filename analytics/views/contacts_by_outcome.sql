SELECT
  dt,
  COALESCE(outcome, '(unknown)') AS outcome,
  CAST(COUNT(*) AS BIGINT) AS contacts
FROM calls
GROUP BY dt, COALESCE(outcome, '(unknown)')

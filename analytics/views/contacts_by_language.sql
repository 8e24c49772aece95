SELECT
  dt,
  COALESCE(language_code, '(unknown)') AS language_code,
  CAST(COUNT(*) AS BIGINT) AS contacts
FROM calls
GROUP BY dt, COALESCE(language_code, '(unknown)')

SELECT
  c.dt,
  t.category,
  CAST(COUNT(*) AS BIGINT) AS contacts
FROM calls AS c
CROSS JOIN UNNEST(c.categories) AS t (category)
GROUP BY c.dt, t.category

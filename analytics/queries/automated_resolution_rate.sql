SELECT
  dt,
  COUNT(DISTINCT conversation_id) AS conversations,
  COUNT(DISTINCT CASE WHEN outcome = 'escalated' THEN conversation_id END) AS escalated,
  COUNT(DISTINCT CASE WHEN outcome = 'bot_resolved_candidate' THEN conversation_id END) AS bot_resolved,
  COUNT(DISTINCT CASE WHEN resolution.verdict IS NOT NULL THEN conversation_id END) AS metered,
  COUNT(DISTINCT CASE WHEN resolution.verdict = 'automated' THEN conversation_id END) AS automated_resolutions,
  ROUND(
    CAST(COUNT(DISTINCT CASE WHEN resolution.verdict = 'automated' THEN conversation_id END) AS DOUBLE)
    / NULLIF(COUNT(DISTINCT CASE WHEN resolution.verdict IS NOT NULL THEN conversation_id END), 0),
    4
  ) AS automated_resolution_rate,
  ROUND(
    CAST(COUNT(DISTINCT CASE WHEN resolution.verdict = 'automated' THEN conversation_id END) AS DOUBLE)
    / NULLIF(COUNT(DISTINCT conversation_id), 0),
    4
  ) AS containment_rate
FROM calls
GROUP BY dt
ORDER BY dt

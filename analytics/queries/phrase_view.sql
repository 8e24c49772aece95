CREATE OR REPLACE VIEW phrase_view AS
SELECT
  c.dt,
  c.contact_id,
  c.conversation_id,
  c.outcome,
  c.sentiment.sentiment AS call_sentiment,
  p.text AS phrase,
  p.score AS score,
  p.beginoffset AS begin_offset,
  p.endoffset AS end_offset
FROM calls AS c
CROSS JOIN UNNEST(c.phrases.keyphrases) AS p (score, text, beginoffset, endoffset)

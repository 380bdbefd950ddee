-- escalation_rotas gets a primary key, so EF Core can map it (issue 12: no SQL for domain tables outside
-- CrisisDesk.Data). The default rota is incident_id NULL, and no primary key column may hold a NULL (UNIQUE NULLS NOT
-- DISTINCT, which 0840 already uses, is no help there), so the key is a surrogate. What makes a rota well formed is
-- unchanged: 0840's two UNIQUE NULLS NOT DISTINCT constraints, one position and one entry per person in each rota.
-- Existing rows are numbered as the column is added.
ALTER TABLE escalation_rotas ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

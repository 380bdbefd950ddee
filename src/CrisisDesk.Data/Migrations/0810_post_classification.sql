-- What each post is about and its mood (issue 17), written by the pipeline's classification stage with the post:
--   informativeness  CrisisLexT26's three classes: 0 Not related, 1 Related - but not informative, 2 Related and informative
--   information_type CrisisLexT26's six types: 1 Affected individuals, 2 Infrastructure and utilities,
--                    3 Donations and volunteering, 4 Caution and advice, 5 Sympathy and support, 6 Other Useful Information
--   sentiment        VADER's compound score, -1..+1 (negative at -0.05 or below, positive at 0.05 or above)
-- Codes, not names: a smallint per post instead of up to 30 bytes of text. Null for posts stored before this migration
-- and for posts stored without the stage (CrisisDesk.Core.Classification.CrisisLexLabels holds the names).
ALTER TABLE posts
    ADD COLUMN informativeness  smallint CHECK (informativeness BETWEEN 0 AND 2),
    ADD COLUMN information_type smallint CHECK (information_type BETWEEN 1 AND 6),
    ADD COLUMN sentiment        real     CHECK (sentiment BETWEEN -1 AND 1);

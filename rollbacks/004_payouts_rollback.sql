-- Rollback of 004_payouts: drops the payouts table (with its policy, trigger
-- and indexes) and the payout_status enum.

DROP POLICY IF EXISTS payouts_creator_reads_own ON payouts;
DROP TABLE IF EXISTS payouts;
DROP TYPE IF EXISTS payout_status;

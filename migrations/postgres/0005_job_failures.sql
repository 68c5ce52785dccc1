-- Two more final failure codes (issue 15): `lease_lost`, a job whose lease expired on its last
-- attempt (its worker died or lost the database), which `amgi jobs retry --failed` brings
-- back; and `auth_fail`, an endpoint that refused the API key (401/403), never retried.
ALTER TABLE study_memo_card_jobs DROP CONSTRAINT study_memo_card_jobs_error_code_check;
ALTER TABLE study_memo_card_jobs ADD CONSTRAINT study_memo_card_jobs_error_code_check
    CHECK (error_code IS NULL OR error_code IN
           ('parse_fail', 'llm_timeout', 'unknown', 'all_dropped', 'no_ready_explanation',
            'lease_lost', 'auth_fail'));

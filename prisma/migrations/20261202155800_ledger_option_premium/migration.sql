-- Option fills move their premium as its own ledger kind.
ALTER TYPE "LedgerKind" ADD VALUE 'OPTION_PREMIUM';

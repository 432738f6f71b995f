// The same file, on PostgreSQL.
process.env.CLEAVE_TEST_DATABASE = 'postgres'
await import('./storable-values.test.js')

/** The migrated database every test database is copied from. */
export const templateDatabase = 'loyalflow_template';

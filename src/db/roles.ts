// Names of the two roles sql/000_roles.sql creates. They are cluster-wide, hence the prefix.
/** The login role the API connects as; it holds no privileges of its own. */
export const AUTHENTICATOR_ROLE = "campaign_engine_authenticator";
/** The role every GraphQL request runs as; row-level security decides what it sees. */
export const VISITOR_ROLE = "campaign_engine_visitor";

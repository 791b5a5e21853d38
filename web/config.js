// Settings of the portfolio page: edit them where you host the page (no build step).
//   api:    the API base URL without /api, e.g. the stack output PortfolioApiUrl minus "/api"
//   apiKey: the x-api-key the API requires (RequireApiKey=true, the default), from
//           aws apigateway get-api-key --include-value --api-key <PortfolioApiKeyId>
// Anyone who can load the page can read this key: host the page only where the people you
// would give the key to can reach it, or publish a read-only view (README, "Public view").
// `make api` serves its own /config.js (its URL and $ADVISOR_API_KEY) instead of this file.
window.ADVISOR_CONFIG = { api: "http://127.0.0.1:8080", apiKey: "" };

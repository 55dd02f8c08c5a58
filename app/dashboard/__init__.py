"""The merchant's dashboard: what outreach did and what it earned."""

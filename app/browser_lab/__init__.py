"""`/lab/browser`: what lives in the browser, attacked live (XSS, CSRF, session fixation)."""

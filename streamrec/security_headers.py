"""The site's browser security policies (read by streamrec/settings.py); tests/test_security_headers.py
walks every URL to check them."""
# Content-Security-Policy (django-csp): the site's own scripts and styles come from static files only:
# no inline <script>, no style attributes, no framing. The API docs pages (Swagger UI, Redoc) are the
# only exception: their bundles need inline scripts and styles (API_DOCS_CSP, streamrec/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Platform logos are image URLs a curator enters in admin (catalog.Platform.logo_url).
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
API_DOCS_CSP = {
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'", "https://fonts.googleapis.com"],
    "font-src": ["'self'", "data:", "https://fonts.gstatic.com"],
    "worker-src": ["'self'", "blob:"],
    "img-src": ["'self'", "data:", "https://cdn.redoc.ly"],  # Redoc's own logo
}
# Powerful browser features the site never uses, switched off for it and anything it embeds.
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=()")

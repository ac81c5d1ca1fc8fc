// Loaded synchronously in <head> (the Content-Security-Policy allows no inline script): styles for
// "scripts run" apply before the first paint.
document.documentElement.classList.replace("no-js", "js");

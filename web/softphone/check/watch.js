// Records every CSP violation, including any caused by the bundle.
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.violations.push(e.violatedDirective);
});

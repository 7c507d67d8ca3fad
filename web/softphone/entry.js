// Entry point of the softphone bundle: exposes JsSIP as window.JsSIP for the
// agent softphone page (ACM-6). The page's CSP is script-src 'self', so this
// bundle must stay free of eval and new Function; build.sh checks that.
import JsSIP from 'jssip';

window.JsSIP = JsSIP;

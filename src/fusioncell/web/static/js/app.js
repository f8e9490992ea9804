// fusioncell's own script: no inline code anywhere (CSP script-src 'self').
"use strict";

import './app-shell.js';

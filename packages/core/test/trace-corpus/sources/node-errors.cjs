// Prints the traces of node-errors.txt: console.error of an error with a cause and properties, then an uncaught throw.
function connect() {
  const error = new Error('connect ECONNREFUSED 127.0.0.1:5432', { cause: new TypeError('socket is not writable') });
  error.code = 'ECONNREFUSED';
  throw error;
}
console.error('[INFO] starting');
try {
  connect();
} catch (error) {
  console.error('[ERROR] database unreachable');
  console.error(error);
}
console.error('[INFO] retrying');
setTimeout(() => {
  JSON.parse('{not json');
}, 1);

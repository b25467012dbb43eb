// Prints info-indented.txt (stdout): ordinary indented output that must stay one entry per line.
console.log('listening on :3000');
console.log({ user: { id: 1, name: 'Ada Lovelace', roles: ['admin', 'editor', 'viewer'], address: { city: 'London' } }, tags: ['x'] });
console.log('test results');
console.log('  ✓ parses numbers (2 ms)');
console.log('  ✓ rejects letters (1 ms)');
console.log('done: 2 passed');

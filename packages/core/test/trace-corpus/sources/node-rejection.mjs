// Prints the trace of node-rejection.txt: an unhandled promise rejection from async code.
async function fetchUser(id) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new RangeError(`user ${id} does not exist`);
}
console.log('fetching user 42');
await fetchUser(42);

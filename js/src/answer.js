// The method the AuthZEN handler (authzen.js) asks an Authorizer through. A
// registered symbol: the handler ships in its own entry, bundled apart from the
// Authorizer, and both must name the same method. Not part of the API.
export const ANSWER = Symbol.for('tessera-authz.answer');

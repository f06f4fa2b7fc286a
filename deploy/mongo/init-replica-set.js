// Idempotent set-up of the single-node replica set "rs0" (transactions need a replica set).
// docker-compose.yml runs it as the mongo container's healthcheck:
//   mongosh --quiet --norc /opt/crm/init-replica-set.js
// First run: initiates rs0 with this node as its only member. Every run: exits 0 only once the
// node is PRIMARY, so "healthy" means "ready for transactions".
// MONGO_RS_HOST: the member's address as clients must reach it (default mongo:27017).
const member = (typeof process !== "undefined" && process.env.MONGO_RS_HOST) || "mongo:27017";

let initiated = true;
try {
  rs.status();
} catch (e) {
  if (e.codeName !== "NotYetInitialized" && e.code !== 94) {
    throw e;
  }
  initiated = false;
}
if (!initiated) {
  try {
    rs.initiate({ _id: "rs0", members: [{ _id: 0, host: member }] });
    print(`replica set rs0 initiated with ${member}`);
  } catch (e) {
    // Two health checks racing: the other one initiated it first.
    if (e.codeName !== "AlreadyInitialized" && e.code !== 23) {
      throw e;
    }
  }
}
if (!db.hello().isWritablePrimary) {
  print("rs0: not primary yet");
  quit(1);
}

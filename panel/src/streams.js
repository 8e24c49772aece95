// amazon-connect-streams from the pinned npm package, as its README says ("import" makes `connect`
// global); bundled on its own into assets/vendor/connect-streams.js so the tests can replace it.
import "amazon-connect-streams";

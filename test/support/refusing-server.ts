// A trivial HTTP server that refuses everything at once (400, websocket upgrades 429) and prints
// its URL. The hostile benchmark aims its flood at it, run at the lowest CPU priority, to measure
// what generating the flood on the same machine costs the ordinary client when our server does
// none of the refusing.
import http from "node:http";
import os from "node:os";

os.setPriority(19);
const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(400, { "content-type": "application/json" });
    response.end('{"errors":[{"message":"refused","extensions":{"code":"REFUSED"}}]}');
  });
});
server.on("upgrade", (_request, socket) => socket.end("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\n\r\n"));
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${(server.address() as { port: number }).port}`));

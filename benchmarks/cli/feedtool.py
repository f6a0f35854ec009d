"""feedtool: fetch, parse and mail news feeds (version, parse, mail, fetch)."""

import argparse
import email.message
import email.policy
import http.client
import io
import socket
import threading
import xml.etree.ElementTree as ET

FEED = "<rss><channel>" + "".join(f"<item><title>news {n}</title><link>http://x/{n}</link></item>"
                                   for n in range(300)) + "</channel></rss>"


def version(args):
    print("feedtool 1.0, checksum 1")


def parse(args):
    titles = [item.findtext("title") for item in ET.fromstring(FEED).iter("item")]
    print(f"parsed {len(titles)} items, checksum {sum(len(t) for t in titles)}")


def mail(args):
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = "Today's feed"
    msg["From"] = "feeds@example.org"
    msg["To"] = "me@example.org"
    msg.set_content("\n".join(f"news {n}" for n in range(300)))
    print(f"mail of {len(msg.as_bytes())} bytes, checksum {len(msg.get_content())}")


def fetch(args):
    """An HTTP exchange over a local socket pair: no network needed."""
    server, client = socket.socketpair()

    def respond():
        server.recv(65536)
        body = FEED.encode()
        server.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        server.close()

    t = threading.Thread(target=respond)
    t.start()
    conn = http.client.HTTPConnection("feeds.example.org")
    conn.sock = client
    conn.request("GET", "/rss")
    data = conn.getresponse().read()
    t.join()
    print(f"fetched {len(data)} bytes, checksum {data.count(b'<item>')} {len(io.BytesIO(data).read())}")


def main():
    parser = argparse.ArgumentParser(prog="feedtool", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn in (("version", version), ("parse", parse), ("mail", mail), ("fetch", fetch)):
        sub.add_parser(name).set_defaults(run=fn)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()

package redisstore

import (
	"net"
	"time"
)

// DefaultKeepAlive is the TCP keep-alive period of every connection: it lets the kernel
// notice a dead peer under a long blocking call.
const DefaultKeepAlive = 30 * time.Second

func netDialer(timeout time.Duration) net.Dialer {
	return net.Dialer{Timeout: timeout, KeepAlive: DefaultKeepAlive}
}

//go:build tools

package tools

import _ "github.com/livekit/sip/cmd/livekit-sip"

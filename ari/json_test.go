package ari

import "encoding/json"

var jsonUnmarshal = json.Unmarshal

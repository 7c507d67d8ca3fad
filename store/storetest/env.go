package storetest

import "os"

// envURL is the admin URL the environment gives, if any.
func envURL() string { return os.Getenv("VMS_TEST_POSTGRES_URL") }

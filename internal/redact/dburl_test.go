package redact

import (
	"reflect"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"postgres://user:secret@host:5432/db?sslmode=require", "postgres://user:***@host:5432/db?sslmode=require"},
		{"postgresql://user:secret@host/db", "postgresql://user:***@host/db"},
		{"  postgres://user:secret@host/db\n", "postgres://user:***@host/db"},
		{"postgres://user:p%40ss%2Fw%3Ard@host/db", "postgres://user:***@host/db"},
		{"postgres://us%40er:pw@host/db", "postgres://us%40er:***@host/db"},
		{"postgres://user:p@ss@host/db", "postgres://user:***@host/db"}, // raw '@' in the password
		{"postgres://user@host:5432/db?sslmode=disable", "postgres://user@host:5432/db?sslmode=disable"},
		{"postgres://user:@host/db", "postgres://user:@host/db"},
		{"postgres://host/db", "postgres://host/db"},
		{"postgres:///db?host=/var/run/postgresql", "postgres:///db?host=/var/run/postgresql"},
		{"postgres://u:hunter22@h1:5432,h2:5433/db", "postgres://u:***@h1:5432,h2:5433/db"},
		{"postgres://h/db?user=x&password=hunter22&sslmode=disable", "postgres://h/db?user=x&password=***&sslmode=disable"},
		{"postgres://u:pw@h/db?sslpassword=keypass&PassWord=x", "postgres://u:***@h/db?sslpassword=***&PassWord=***"},
		{"postgres://h/db?password=", "postgres://h/db?password="},
		// Unreliable or invalid: never echo them.
		{"postgres://user:pa#ss@host/db", UnparsableDatabaseURL},
		{"postgres://user:12#x@host/db", UnparsableDatabaseURL},
		{"postgres://user:12/ss@host/db", UnparsableDatabaseURL},
		{"postgres://user:12?x@host/db", UnparsableDatabaseURL},
		{"postgres://user:pa/ss@host/db", UnparsableDatabaseURL},
		{"postgres://user:pw%ZZ@host/db", UnparsableDatabaseURL},
		{"postgres://user:pw@host/db\x00", UnparsableDatabaseURL},
		{"mydatabase", UnparsableDatabaseURL},
		// libpq key=value strings.
		{"host=db user=app password=s3cr3t dbname=app", "host=db user=app password=*** dbname=app"},
		{"host=db password = s3cr3t sslmode=require", "host=db password = *** sslmode=require"},
		{"host=db password='it\\'s a secret' dbname=app", "host=db password=*** dbname=app"},
		{"password=a\\ b host=x", "password=*** host=x"},
		{"host=db sslpassword=keypass PASSWORD=x", "host=db sslpassword=*** PASSWORD=***"},
		{"host=db user=app", "host=db user=app"},
		{"host=db password=''", "host=db password=''"},
		{"host=db password='unterminated", UnparsableDatabaseURL},
		{"host=db password", UnparsableDatabaseURL},
		{"=x", UnparsableDatabaseURL},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecretsFromDatabaseURL(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"postgres://user:secret@host:5432/db", []string{"secret", "postgres://user:secret@host:5432/db"}},
		{" postgres://user:secret@host/db ", []string{"secret", "postgres://user:secret@host/db", " postgres://user:secret@host/db "}},
		{"postgres://user:p%40ss%2Fw%3Ard@host/db", []string{"p@ss/w:rd", "p%40ss%2Fw%3Ard", "postgres://user:p%40ss%2Fw%3Ard@host/db"}},
		{"postgres://user:a+b%20c@host/db", []string{"a+b c", "a+b%20c", "a%2Bb+c", "postgres://user:a+b%20c@host/db"}},
		{"postgres://user@host/db", nil},
		{"postgres://user:@host/db", nil},
		{"postgres://host/db?sslmode=disable", nil},
		{"postgres://h/db?password=hunter%2B22", []string{"hunter+22", "hunter%2B22", "postgres://h/db?password=hunter%2B22"}},
		{"postgres://u:pw12@h/db?sslpassword=keypass", []string{"pw12", "keypass", "postgres://u:pw12@h/db?sslpassword=keypass"}},
		// Best effort when net/url cannot be trusted.
		{"postgres://user:pa#ss@host/db", []string{"pa#ss", "pa%23ss", "postgres://user:pa#ss@host/db"}},
		{"postgres://user:12/ss@host/db", []string{"12/ss", "12%2Fss", "postgres://user:12/ss@host/db"}},
		{"postgres://user:pw%ZZ@host/db", []string{"pw%ZZ", "pw%25ZZ", "postgres://user:pw%ZZ@host/db"}},
		// Unescaped '@' and ':' in the password: every reading counts (pgx
		// and libpq stop at the first '@', net/url at the last).
		{"postgres://ro:P@ssw0rd:2024@db.internal:5432/launchplane", []string{"P", "P@ssw0rd:2024", "P%40ssw0rd%3A2024",
			"postgres://ro:P@ssw0rd:2024@db.internal:5432/launchplane"}},
		{"postgres://ro:abc%@PART@h/db", []string{"abc%", "abc%25", "abc%@PART", "abc%25%40PART", "postgres://ro:abc%@PART@h/db"}},
		// libpq key=value strings.
		{"host=db user=app password=s3cr3t dbname=app", []string{"s3cr3t", "host=db user=app password=s3cr3t dbname=app"}},
		{"host=db password='it\\'s a secret'", []string{"it's a secret", "it\\'s a secret", "it%27s%20a%20secret", "it%27s+a+secret", "host=db password='it\\'s a secret'"}},
		{"host=db password='plain quoted'", []string{"plain quoted", "plain%20quoted", "plain+quoted", "host=db password='plain quoted'"}},
		{"host=db user=app", nil},
		{"host=db password='unterminated", []string{"unterminated", "'unterminated", "%27unterminated", "host=db password='unterminated"}},
		{"mydatabase", nil},
	}
	for _, tt := range tests {
		if got := SecretsFromDatabaseURL(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SecretsFromDatabaseURL(%q) =\n %q\nwant\n %q", tt.in, got, tt.want)
		}
	}
}

package deploy

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// binaries are the commands whose flags the deploy files are checked
// against.
var binaries = []string{"mrcoordinator", "mrworker"}

// helpFlag matches one flag in the output of the flag package's
// PrintDefaults: "  -name" then, for a flag that takes a value, " TYPE";
// then a tab (short names) or the end of the line.
var helpFlag = regexp.MustCompile(`^  -([^\s=]+)( \S+)?(\t|$)`)

// flagSet is what `BINARY -h` lists: each flag's name, and whether it
// takes a value (only bool flags do not).
type flagSet map[string]bool

// helpFlags runs `path -h` and returns the flags it lists.
func helpFlags(path string) (flagSet, error) {
	out, err := exec.Command(path, "-h").CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, fmt.Errorf("%s -h: %w", path, err)
	}
	flags := flagSet{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if m := helpFlag.FindStringSubmatch(sc.Text()); m != nil {
			flags[m[1]] = m[2] != ""
		}
	}
	if len(flags) == 0 {
		return nil, fmt.Errorf("%s -h listed no flags:\n%s", path, out)
	}
	return flags, nil
}

// command is one argv found in a deploy file.
type command struct {
	file string // relative to the repository's root
	line int    // where the command starts
	argv []string
}

func (c command) String() string { return fmt.Sprintf("%s:%d", c.file, c.line) }

// binary returns the mr binary c runs, or "" for any other command.
func (c command) binary() string {
	if len(c.argv) == 0 {
		return ""
	}
	name := filepath.Base(c.argv[0])
	for _, b := range binaries {
		if name == b {
			return b
		}
	}
	return ""
}

// parsedArgs is an mr command line as the flag package reads it.
type parsedArgs struct {
	flags      map[string]string // name to value ("true" for a bool without one)
	positional []string
}

// parseArgs reads argv[1:] as the flag package would, against the flags
// the binary lists, and returns one error per flag it does not have, per
// flag left without a value, and per flag after the first positional
// argument (the flag package would take it, and all after it, for inputs).
func parseArgs(c command, flags flagSet) (parsedArgs, []error) {
	p := parsedArgs{flags: map[string]string{}}
	var errs []error
	args := c.argv[1:]
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if len(p.positional) > 0 || arg == "-" || !strings.HasPrefix(arg, "-") {
			if strings.HasPrefix(arg, "-") && len(arg) > 1 {
				errs = append(errs, fmt.Errorf("%v: %s comes after the positional argument %q: the flag package would read it as one", c, arg, p.positional[0]))
			}
			p.positional = append(p.positional, arg)
			continue
		}
		if arg == "--" {
			p.positional = append(p.positional, args[i+1:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		takesValue, ok := flags[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%v: %s passes -%s, which `%s -h` does not list", c, c.binary(), name, c.binary()))
		}
		if takesValue && !hasValue {
			if i+1 == len(args) {
				errs = append(errs, fmt.Errorf("%v: -%s has no value", c, name))
				break
			}
			i++
			value, hasValue = args[i], true
		}
		if !hasValue {
			value = "true"
		}
		p.flags[name] = value
	}
	return p, errs
}

// unitCommands returns the ExecStart*= command lines of a systemd unit,
// continuation lines joined, split on white space. A quote in one fails:
// systemd's quoting is not parsed here, and the units need none.
func unitCommands(root, rel string) ([]command, error) {
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	var cmds []command
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(strings.TrimSpace(key), "ExecStart") {
			continue
		}
		if strings.ContainsAny(value, `"'`) {
			return nil, fmt.Errorf("%s:%d: quotes in a command line are not parsed by this test", rel, start+1)
		}
		argv := strings.Fields(value)
		if len(argv) > 0 {
			argv[0] = strings.TrimLeft(argv[0], "-@:+!") // systemd's prefixes
		}
		cmds = append(cmds, command{file: rel, line: start + 1, argv: argv})
	}
	return cmds, nil
}

var (
	// yamlCommandKey is a container's command: key, its list on the
	// following lines.
	yamlCommandKey = regexp.MustCompile(`^(\s*)(- )?command:\s*$`)
	// yamlFlowOrArgs is what the manifest parser does not read: a command
	// written as a flow list, and args (the manifests put the whole argv
	// in command).
	yamlFlowOrArgs = regexp.MustCompile(`^\s*(- )?(command:\s*\[|args:)`)
	// yamlItem is one item of a block list: its indent and its value.
	yamlItem = regexp.MustCompile(`^(\s*)- (.*)$`)
)

// manifestCommands returns the containers' commands of a manifest, each a
// block list of plain or quoted scalars, one a line.
func manifestCommands(root, rel string) ([]command, error) {
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	var cmds []command
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if yamlFlowOrArgs.MatchString(lines[i]) {
			return nil, fmt.Errorf("%s:%d: write a container's whole argv as a block list under command:, which this test reads", rel, i+1)
		}
		if !yamlCommandKey.MatchString(lines[i]) {
			continue
		}
		c := command{file: rel, line: i + 1}
		indent := -1
		for i+1 < len(lines) {
			next := lines[i+1]
			if strings.HasPrefix(strings.TrimSpace(next), "#") {
				i++
				continue
			}
			m := yamlItem.FindStringSubmatch(next)
			if m == nil || (indent >= 0 && len(m[1]) != indent) {
				break
			}
			indent = len(m[1])
			value, err := yamlScalar(m[2])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", rel, i+2, err)
			}
			c.argv = append(c.argv, value)
			i++
		}
		if len(c.argv) == 0 {
			return nil, fmt.Errorf("%v: command: without a block list under it", c)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// yamlScalar returns the value of a plain, single- or double-quoted
// scalar without escapes; anything else is an error.
func yamlScalar(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		inner := s[1 : len(s)-1]
		if strings.ContainsAny(inner, `"'\`) {
			return "", fmt.Errorf("quoted scalar %s with escapes: not parsed by this test", s)
		}
		return inner, nil
	}
	if strings.ContainsAny(s, `"'#{}[]&*!|>%@`+"`") || strings.Contains(s, ": ") {
		return "", fmt.Errorf("scalar %q: quote it plainly or leave out YAML syntax", s)
	}
	return s, nil
}

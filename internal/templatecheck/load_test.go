package templatecheck

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tmpl is template.yaml as plain values: maps, slices, strings, numbers, bools. CloudFormation
// short forms become their long forms (!Ref X is {"Ref": X}, !GetAtt A.B is
// {"Fn::GetAtt": [A, B]}, !Sub s is {"Fn::Sub": s}), as CloudFormation reads them.
type tmpl struct {
	root      string // the repository
	Globals   map[string]any
	Resources map[string]resource
}

type resource struct {
	Type       string
	Properties map[string]any
}

func load(t *testing.T) *tmpl {
	t.Helper()
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	v, err := plain(&doc)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	top := v.(map[string]any)
	tp := &tmpl{root: root, Globals: mapOf(top["Globals"]), Resources: map[string]resource{}}
	for name, r := range mapOf(top["Resources"]) {
		rm := mapOf(r)
		tp.Resources[name] = resource{Type: str(rm["Type"]), Properties: mapOf(rm["Properties"])}
	}
	return tp
}

// plain converts a YAML node to plain values, expanding CloudFormation's short-form tags.
func plain(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			val, err := plain(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		c := *n
		if strings.HasPrefix(c.Tag, "!") && !strings.HasPrefix(c.Tag, "!!") {
			c.Tag = "" // let YAML resolve the scalar's own type
		}
		if err := c.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	switch fn := strings.TrimPrefix(n.Tag, "!"); fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	default:
		return map[string]any{"Fn::" + fn: v}, nil
	}
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func listOf(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v} // IAM and SAM accept a single value where a list is expected
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs returns a string or a list of strings as a list.
func strs(v any) []string {
	var out []string
	for _, x := range listOf(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// path walks nested maps: path(m, "A", "B") is m["A"]["B"].
func path(v any, keys ...string) any {
	for _, k := range keys {
		v = mapOf(v)[k]
	}
	return v
}

// refersTo reports whether v names the resource: {"Ref": name}, {"Fn::GetAtt": [name, …]} or
// a Fn::Sub string with ${name} or ${name.Attr}.
func refersTo(v any, name string) bool {
	m := mapOf(v)
	if m == nil {
		return false
	}
	if str(m["Ref"]) == name {
		return true
	}
	if ga := listOf(m["Fn::GetAtt"]); len(ga) > 0 && str(ga[0]) == name {
		return true
	}
	if sub := subText(v); sub != "" {
		return strings.Contains(sub, "${"+name+"}") || strings.Contains(sub, "${"+name+".")
	}
	return false
}

// subText returns the template string of a Fn::Sub, or "".
func subText(v any) string {
	sub := mapOf(v)["Fn::Sub"]
	if l := listOf(sub); len(l) > 0 {
		return str(l[0])
	}
	return ""
}

// ofType returns the logical ids of the resources of a type, sorted.
func (tp *tmpl) ofType(typ string) []string {
	var out []string
	for name, r := range tp.Resources {
		if r.Type == typ {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func TestPlainExpandsShortForms(t *testing.T) {
	src := `
a: !Ref Table
b: !GetAtt DataKey.Arn
c: !Sub arn:${AWS::Partition}:s3:::${Bucket}/*
d: !Join [",", [x, !Ref Y]]
e: [1, "2", true]
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	v, err := plain(&doc)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(v)
	want := "map[a:map[Ref:Table] b:map[Fn::GetAtt:[DataKey Arn]] c:map[Fn::Sub:arn:${AWS::Partition}:s3:::${Bucket}/*] " +
		"d:map[Fn::Join:[, [x map[Ref:Y]]]] e:[1 2 true]]"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	m := v.(map[string]any)
	if !refersTo(m["a"], "Table") || !refersTo(m["b"], "DataKey") || !refersTo(m["c"], "Bucket") || refersTo(m["c"], "Buck") {
		t.Error("refersTo does not see the references")
	}
}

"""`chargenet check`: test an OCPP 1.6J backend for conformance, one verdict per check.

The catalogue (`catalogue`) holds the checks, declared next to their code in `checks/`; a
check drives one or more scripted charge points (`station`) through its context (`context`);
`runner` turns what happened into verdicts (`verdicts`) with the frames as evidence
(`evidence`), and `reports/` renders them (terminal, JUnit XML, JSON, HTML).
"""

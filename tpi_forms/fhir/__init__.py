"""FHIR R4 export: Questionnaire, QuestionnaireResponse, Consent, Provenance, Bundle."""

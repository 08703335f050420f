"""CRM Workbench: a simulated omnichannel brand and the analytics that teach CRM on it."""

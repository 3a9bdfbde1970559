"""The Gmail, Yahoo and Outlook.com sender requirements and the rules behind them."""
